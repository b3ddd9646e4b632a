from django.urls import path

from rebates import views

app_name = "rebates"
urlpatterns = [
    path("", views.statements, name="statements"),
    path("statements/<int:pk>/", views.statement, name="statement"),
    path("statements/<int:pk>/lines/", views.statement_lines, name="statement_lines"),
    path("statements/<int:pk>/csv/", views.statement_csv, name="statement_csv"),
    path("statements/<int:pk>/pdf/", views.statement_pdf, name="statement_pdf"),
    path("reps/", views.rep_opt_in_view, name="rep_opt_in"),
    path("programs/", views.programs, name="programs"),
    path("programs/new/", views.program_new, name="program_new"),
    path("programs/load/", views.program_load_view, name="program_load"),
    path("programs/<int:pk>/", views.program_detail, name="program_detail"),
    path("programs/<int:pk>/edit/", views.program_edit, name="program_edit"),
    path("programs/<int:pk>/export/", views.program_export_view, name="program_export"),
    path("programs/<int:pk>/activate/", views.program_activate_view, name="program_activate"),
    path("programs/<int:pk>/archive/", views.program_archive_view, name="program_archive"),
    path("programs/<int:pk>/calculate/", views.program_calculate, name="program_calculate"),
    path("programs/<int:pk>/simulate/", views.program_simulate_view, name="program_simulate"),
    path("programs/<int:pk>/close/", views.program_close, name="program_close"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("settlements/<int:pk>/", views.settlement_detail, name="settlement_detail"),
    path("settlements/<int:pk>/approve/", views.settlement_approve_view, name="settlement_approve"),
    path("settlements/<int:pk>/reject/", views.settlement_reject_view, name="settlement_reject"),
    path("settlement-lines/<int:pk>/", views.settlement_line, name="settlement_line"),
    path("reports/", views.dashboard, name="dashboard"),
]
