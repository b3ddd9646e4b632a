"""Enablement: the resource library, training courses with quizzes, and certifications."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import linebreaks
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from partners.forms import (
    CertificateUploadForm,
    CourseForm,
    LessonForm,
    QuestionForm,
    ReasonForm,
    ResourceForm,
    VersionForm,
)
from partners.models import Certification, Lesson, QuizAttempt
from partners.resources import export_rows
from partners.selectors import (
    certifications_for_membership,
    courses_for_membership,
    get_certification_for_membership_or_404,
    get_course_for_membership_or_404,
    get_resource_for_membership_or_404,
    resources_for_membership,
)
from partners.services.enablement import (
    certificate_upload,
    certification_reject,
    certification_verify,
    course_create,
    lesson_add,
    question_add,
    quiz_allowance,
    quiz_submit,
    resource_create,
    resource_download,
    resource_version_add,
)
from prm.access import portal_view
from prm.actions import run_action
from prm.files import file_download
from prm.http import PortalRequest
from prm.roles import Perm, membership_has
from prm.views import paginate
from prm.workflow import DomainError


def _can_manage(request: PortalRequest) -> bool:
    return request.membership.is_staff_member and membership_has(request.membership, Perm.ENABLEMENT_MANAGE)


# --- Resource library -------------------------------------------------------------------------


@portal_view(Perm.ENABLEMENT_VIEW)
def resource_list(request: PortalRequest) -> HttpResponse:
    qs = resources_for_membership(request.membership)
    category = request.GET.get("category", "").strip()
    if category:
        qs = qs.filter(category__iexact=category)
    categories = sorted(set(resources_for_membership(request.membership).values_list("category", flat=True)))
    return render(
        request,
        "partners/resources.html",
        {
            "page": paginate(request, qs),
            "categories": categories,
            "category": category,
            "can_manage": _can_manage(request),
        },
    )


@portal_view(Perm.ENABLEMENT_MANAGE)
@require_http_methods(["GET", "POST"])
def resource_new(request: PortalRequest) -> HttpResponse:
    form = ResourceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data.pop("file")
        try:
            resource = resource_create(
                acting_membership=request.membership, upload=upload, filename=upload.name, **data
            )
        except DomainError as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(request, _("Resource published."))
            return redirect("partners:resource_detail", pk=resource.pk)
    return render(
        request, "partners/form_page.html", {"form": form, "title": _("New resource"), "multipart": True}
    )


@portal_view(Perm.ENABLEMENT_VIEW)
@require_http_methods(["GET", "POST"])
def resource_detail(request: PortalRequest, pk: int) -> HttpResponse:
    resource = get_resource_for_membership_or_404(request.membership, pk)
    form = None
    if _can_manage(request):
        form = VersionForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                resource_version_add(
                    resource=resource,
                    acting_membership=request.membership,
                    upload=upload,
                    filename=upload.name,
                    notes=form.cleaned_data["notes"],
                )
            except DomainError as exc:
                form.add_error("file", str(exc))
            else:
                messages.success(request, _("New version uploaded."))
                return redirect("partners:resource_detail", pk=resource.pk)
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "partners/resource_detail.html",
        {"resource": resource, "versions": resource.versions.all(), "form": form},
    )


@portal_view(Perm.ENABLEMENT_VIEW)
def resource_file(request: PortalRequest, pk: int) -> HttpResponseBase:
    resource = get_resource_for_membership_or_404(request.membership, pk)
    try:
        version = resource_download(resource=resource, membership=request.membership)
    except DomainError as exc:
        raise Http404(str(exc)) from exc
    return file_download(version.path, filename=version.filename, content_type=version.content_type)


# --- Training ------------------------------------------------------------------------------------


@portal_view(Perm.ENABLEMENT_VIEW)
def course_list(request: PortalRequest) -> HttpResponse:
    mine = (
        Certification.objects.filter(user=request.user).select_related("course")
        if request.membership.is_partner
        else []
    )
    return render(
        request,
        "partners/courses.html",
        {
            "courses": courses_for_membership(request.membership),
            "certifications": mine,
            "can_manage": _can_manage(request),
        },
    )


@portal_view(Perm.ENABLEMENT_MANAGE)
@require_http_methods(["GET", "POST"])
def course_new(request: PortalRequest) -> HttpResponse:
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = course_create(acting_membership=request.membership, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("partners:course_detail", pk=course.pk)
    return render(request, "partners/form_page.html", {"form": form, "title": _("New course")})


@portal_view(Perm.ENABLEMENT_VIEW)
def course_detail(request: PortalRequest, pk: int) -> HttpResponse:
    course = get_course_for_membership_or_404(request.membership, pk)
    lessons = [(lesson, linebreaks(lesson.body)) for lesson in course.lessons.all()]
    attempts = QuizAttempt.objects.filter(course=course, user=request.user)[:5]
    return render(
        request,
        "partners/course_detail.html",
        {
            "course": course,
            "lessons": lessons,
            "questions": course.questions.prefetch_related("choices"),
            "attempts": attempts,
            "can_manage": _can_manage(request),
            "can_take": request.membership.is_partner,
            "allowance": quiz_allowance(course=course, user=request.user)
            if request.membership.is_partner
            else None,
        },
    )


@portal_view(Perm.ENABLEMENT_VIEW)
@require_POST
def course_quiz(request: PortalRequest, pk: int) -> HttpResponse:
    course = get_course_for_membership_or_404(request.membership, pk)
    if not request.membership.is_partner:
        raise PermissionDenied
    answers: dict[int, int] = {}
    for question in course.questions.all():
        value = request.POST.get(f"q{question.pk}", "")
        if value.isdigit():
            answers[question.pk] = int(value)

    def scored(attempt) -> tuple[int, str]:
        if attempt.passed:
            return messages.SUCCESS, _("You passed with %(score)s%%: you are now certified.") % {
                "score": attempt.score
            }
        return messages.WARNING, _("You scored %(score)s%%; the pass mark is %(mark)s%%. Try again.") % {
            "score": attempt.score,
            "mark": course.pass_mark,
        }

    return run_action(
        request,
        lambda: quiz_submit(course=course, membership=request.membership, answers=answers),
        success=scored,
        redirect_to=reverse("partners:course_detail", kwargs={"pk": course.pk}),
    )


@portal_view(Perm.ENABLEMENT_MANAGE)
@require_http_methods(["GET", "POST"])
def lesson_new(request: PortalRequest, pk: int) -> HttpResponse:
    course = get_course_for_membership_or_404(request.membership, pk)
    form = LessonForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            lesson_add(
                course=course,
                acting_membership=request.membership,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                upload=upload,
                filename=upload.name if upload else "",
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("partners:course_detail", pk=course.pk)
    return render(
        request, "partners/form_page.html", {"form": form, "title": _("New lesson"), "multipart": True}
    )


@portal_view(Perm.ENABLEMENT_MANAGE)
@require_http_methods(["GET", "POST"])
def question_new(request: PortalRequest, pk: int) -> HttpResponse:
    course = get_course_for_membership_or_404(request.membership, pk)
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            question_add(
                course=course,
                acting_membership=request.membership,
                text=form.cleaned_data["text"],
                choices=form.parsed_choices(),
            )
        except DomainError as exc:
            form.add_error("choices", str(exc))
        else:
            return redirect("partners:course_detail", pk=course.pk)
    return render(request, "partners/form_page.html", {"form": form, "title": _("New quiz question")})


@portal_view(Perm.ENABLEMENT_VIEW)
def lesson_file(request: PortalRequest, pk: int) -> HttpResponseBase:
    lesson = get_object_or_404(
        Lesson.objects.filter(course__in=courses_for_membership(request.membership)), pk=pk
    )
    if not lesson.attachment_path:
        raise Http404
    return file_download(
        lesson.attachment_path, filename=lesson.attachment_name, content_type=lesson.attachment_type
    )


# --- Certifications ---------------------------------------------------------------------------------


@portal_view(Perm.ENABLEMENT_VIEW)
def certification_list(request: PortalRequest) -> HttpResponseBase:
    qs = certifications_for_membership(request.membership)
    status = request.GET.get("status", "")
    if status in Certification.Status.values:
        qs = qs.filter(status=status)
    export = request.GET.get("export")
    if export in {"csv", "xlsx"} and request.membership.is_staff_member:
        return export_rows("certifications", export, qs)
    return render(
        request,
        "partners/certifications.html",
        {
            "page": paginate(request, qs),
            "status": status,
            "statuses": Certification.Status.choices,
            "can_verify": request.membership.is_staff_member
            and membership_has(request.membership, Perm.CERTIFICATION_VERIFY),
            "reject_form": ReasonForm(),
        },
    )


@portal_view(Perm.ENABLEMENT_VIEW)
@require_http_methods(["GET", "POST"])
def certification_upload(request: PortalRequest) -> HttpResponse:
    if not request.membership.is_partner:
        raise PermissionDenied
    form = CertificateUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            certificate_upload(
                membership=request.membership,
                name=data["name"],
                issued_on=data["issued_on"],
                expires_on=data["expires_on"],
                upload=data["file"],
                filename=data["file"].name,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Certificate uploaded; a channel manager will verify it."))
            return redirect("partners:certifications")
    return render(
        request,
        "partners/form_page.html",
        {"form": form, "title": _("Upload an external certificate"), "multipart": True},
    )


@portal_view(Perm.ENABLEMENT_VIEW)
def certification_file(request: PortalRequest, pk: int) -> HttpResponseBase:
    cert = get_certification_for_membership_or_404(request.membership, pk)
    if not cert.file_path:
        raise Http404
    return file_download(
        cert.file_path, filename=cert.file_name or "certificate", content_type=cert.file_type
    )


@portal_view(Perm.CERTIFICATION_VERIFY)
@require_POST
def certification_verify_view(request: PortalRequest, pk: int) -> HttpResponse:
    cert = get_certification_for_membership_or_404(request.membership, pk)
    return run_action(
        request,
        lambda: certification_verify(certification=cert, acting_membership=request.membership),
        success=_("Certificate verified."),
        redirect_to="partners:certifications",
    )


@portal_view(Perm.CERTIFICATION_VERIFY)
@require_POST
def certification_reject_view(request: PortalRequest, pk: int) -> HttpResponse:
    cert = get_certification_for_membership_or_404(request.membership, pk)
    form = ReasonForm(request.POST)
    return run_action(
        request,
        lambda: certification_reject(
            certification=cert, acting_membership=request.membership, reason=form.cleaned_data["reason"]
        ),
        form=form,
        invalid=_("Give the reason for the rejection."),
        success=_("Certificate rejected."),
        redirect_to="partners:certifications",
    )
