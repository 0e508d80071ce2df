from django.urls import path

from sessions_app.views import accounts, designer, dossier, exports, learning

app_name = "designer"

urlpatterns = [
    path("", designer.process_list, name="process_list"),
    path("new/", designer.process_create, name="process_create"),
    path("import/", designer.process_import, name="process_import"),
    path("invitations/<str:token>/", accounts.invitation, name="invitation"),
    path("learning/", learning.learning, name="learning"),
    path("learning/sessions.csv", learning.learning_csv, name="learning_csv"),
    path("<slug:slug>/", designer.process_detail, name="process_detail"),
    path("<slug:slug>/edit/", designer.process_edit, name="process_edit"),
    path("<slug:slug>/publish/", designer.process_publish, name="process_publish"),
    path("<slug:slug>/close/", designer.process_close, name="process_close"),
    path("<slug:slug>/export/", designer.process_export, name="process_export"),
    path("<slug:slug>/log/", designer.process_log, name="process_log"),
    path("<slug:slug>/follow-up/", designer.follow_up, name="follow_up"),
    path("<slug:slug>/dossier/", dossier.dossier_page, name="dossier"),
    path("<slug:slug>/follow-slips/", dossier.follow_slips_pdf, name="follow_slips"),
    path(
        "<slug:slug>/follow-up/written/<int:asked_id>/",
        designer.written_answer,
        name="written_answer",
    ),
    path("<slug:slug>/exports/", exports.export_create, name="export_create"),
    path("<slug:slug>/exports/<int:job_id>/", exports.export_page, name="export_page"),
    path("<slug:slug>/exports/<int:job_id>/file/", exports.export_file, name="export_file"),
    path("<slug:slug>/staff/", designer.staff_page, name="staff"),
    path("<slug:slug>/staff/<int:role_id>/revoke/", designer.staff_revoke, name="staff_revoke"),
    path("<slug:slug>/sessions/new/", designer.session_form, name="session_create"),
    path("<slug:slug>/sessions/<int:session_id>/edit/", designer.session_form, name="session_edit"),
    path(
        "<slug:slug>/sessions/<int:session_id>/delete/",
        designer.session_delete,
        name="session_delete",
    ),
    path(
        "<slug:slug>/sessions/<int:session_id>/report/",
        learning.report,
        name="session_report",
    ),
    path(
        "<slug:slug>/sessions/<int:session_id>/evaluation/",
        learning.evaluation_add,
        name="evaluation_add",
    ),
    path(
        "<slug:slug>/sessions/<int:session_id>/move/<str:direction>/",
        designer.session_move,
        name="session_move",
    ),
    path(
        "<slug:slug>/sessions/<int:session_id>/questions/new/",
        designer.question_form,
        name="question_create",
    ),
    path(
        "<slug:slug>/questions/<int:question_id>/edit/",
        designer.question_form,
        name="question_edit",
    ),
    path(
        "<slug:slug>/questions/<int:question_id>/delete/",
        designer.question_delete,
        name="question_delete",
    ),
    path(
        "<slug:slug>/questions/<int:question_id>/move/<str:direction>/",
        designer.question_move,
        name="question_move",
    ),
    path(
        "<slug:slug>/questions/<int:question_id>/preview/",
        designer.question_preview,
        name="question_preview",
    ),
]
