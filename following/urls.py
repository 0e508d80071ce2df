from django.urls import path

from . import views

app_name = "following"

urlpatterns = [
    path("p/<slug:slug>/follow/", views.follow, name="follow"),
    path("p/<slug:slug>/follow/sent/", views.sent, name="sent"),
    path("follow/<str:token>/confirm/", views.confirm, name="confirm"),
    # Also the List-Unsubscribe address of every mail (RFC 8058 one-click POST).
    path("follow/<str:token>/stop/", views.unsubscribe, name="unsubscribe"),
]
