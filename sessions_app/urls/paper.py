from django.urls import path

from sessions_app.views import paper

app_name = "paper"

urlpatterns = [
    path("manage/<slug:slug>/sessions/<int:session_id>/paper/", paper.paper_page, name="page"),
    path(
        "manage/<slug:slug>/sessions/<int:session_id>/paper/print/", paper.print_forms, name="print"
    ),
    path(
        "manage/<slug:slug>/sessions/<int:session_id>/paper/action/",
        paper.paper_action,
        name="action",
    ),
    path(
        "manage/<slug:slug>/sessions/<int:session_id>/paper/cards/", paper.cards_pdf, name="cards"
    ),
    path(
        "manage/<slug:slug>/sessions/<int:session_id>/paper/batches/<int:batch_id>/",
        paper.batch_page,
        name="batch",
    ),
    path(
        "manage/<slug:slug>/sessions/<int:session_id>/paper/batches/<int:batch_id>/pdf/",
        paper.batch_pdf,
        name="batch_pdf",
    ),
    path(
        "manage/<slug:slug>/sessions/<int:session_id>/paper/batches/<int:batch_id>/retry/",
        paper.batch_retry,
        name="batch_retry",
    ),
    path("present/<str:code>/poster/", paper.poster_pdf, name="poster"),
    path("present/<str:code>/slips/", paper.slips_pdf, name="slips"),
    path("t/", paper.teller_home, name="teller_home"),
    path("t/s/<int:session_id>/", paper.teller_session, name="teller_session"),
    path("t/<str:token>/", paper.entry, name="entry"),
]
