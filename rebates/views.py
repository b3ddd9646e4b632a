from django.http import HttpResponse


def statements(request, pk=None):
    return HttpResponse("")


def statement(request, pk=None):
    return HttpResponse("")


def statement_lines(request, pk=None):
    return HttpResponse("")


def statement_csv(request, pk=None):
    return HttpResponse("")


def statement_pdf(request, pk=None):
    return HttpResponse("")


def rep_opt_in_view(request, pk=None):
    return HttpResponse("")


def programs(request, pk=None):
    return HttpResponse("")


def program_new(request, pk=None):
    return HttpResponse("")


def program_load_view(request, pk=None):
    return HttpResponse("")


def program_detail(request, pk=None):
    return HttpResponse("")


def program_edit(request, pk=None):
    return HttpResponse("")


def program_export_view(request, pk=None):
    return HttpResponse("")


def program_activate_view(request, pk=None):
    return HttpResponse("")


def program_archive_view(request, pk=None):
    return HttpResponse("")


def program_calculate(request, pk=None):
    return HttpResponse("")


def program_simulate_view(request, pk=None):
    return HttpResponse("")


def program_close(request, pk=None):
    return HttpResponse("")


def run_detail(request, pk=None):
    return HttpResponse("")


def settlement_detail(request, pk=None):
    return HttpResponse("")


def settlement_approve_view(request, pk=None):
    return HttpResponse("")


def settlement_reject_view(request, pk=None):
    return HttpResponse("")


def settlement_line(request, pk=None):
    return HttpResponse("")
