from django.urls import path

from sessions_app.views import paper, reading

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
    path(
        "manage/<slug:slug>/sessions/<int:session_id>/paper/scans/",
        reading.scan_upload,
        name="scan_upload",
    ),
    path(
        "manage/<slug:slug>/sessions/<int:session_id>/paper/scans/<int:scan_id>/",
        reading.scan_page,
        name="scan",
    ),
    path(
        "manage/<slug:slug>/sessions/<int:session_id>/paper/scans/<int:scan_id>/resume/",
        reading.scan_resume,
        name="scan_resume",
    ),
    path(
        "manage/<slug:slug>/sessions/<int:session_id>/paper/scans/<int:scan_id>/code/",
        reading.scan_code,
        name="scan_code",
    ),
    path(
        "manage/<slug:slug>/sessions/<int:session_id>/paper/scans/<int:scan_id>/file/",
        reading.scan_file,
        name="scan_file",
    ),
    path(
        "manage/<slug:slug>/sessions/<int:session_id>/paper/readings/<int:reading_id>/",
        reading.reading_page,
        name="reading",
    ),
    path(
        "manage/<slug:slug>/sessions/<int:session_id>/paper/pages/<int:page_id>/image/",
        reading.page_image,
        name="page_image",
    ),
    path("present/<str:code>/poster/", paper.poster_pdf, name="poster"),
    path("present/<str:code>/slips/", paper.slips_pdf, name="slips"),
    path("t/", paper.teller_home, name="teller_home"),
    path("t/s/<int:session_id>/", paper.teller_session, name="teller_session"),
    path("t/s/<int:session_id>/photo/", reading.teller_photo, name="teller_photo"),
    path("t/r/<int:reading_id>/confirm/", reading.reading_confirm, name="reading_confirm"),
    path("t/<str:token>/", paper.entry, name="entry"),
]
