from django.urls import path

from sessions_app.feeds import ProcessFeed
from sessions_app.views import dossier, public

app_name = "public"

urlpatterns = [
    path("", public.index, name="index"),
    path("privacy/", public.privacy, name="privacy"),
    path("accessibility/", public.accessibility, name="accessibility"),
    path("p/<slug:slug>/", public.process_page, name="process"),
    path("p/<slug:slug>/log/", public.process_log, name="log"),
    path("p/<slug:slug>/log/heads.json", public.process_heads, name="heads"),
    # The log's entries as JSON, a page at a time, to check in a browser
    path("p/<slug:slug>/log/entries.json", public.process_log_entries, name="log_entries"),
    path("p/<slug:slug>/check/", public.receipt_check, name="check"),
    path(
        "p/<slug:slug>/dossier/<int:document_id>/", dossier.document_file, name="dossier_document"
    ),
    path("p/<slug:slug>/feed/", ProcessFeed(), name="feed"),
]
