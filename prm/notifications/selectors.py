from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from prm.notifications.models import Notification


def notifications_for_user(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def get_notification_for_user_or_404(user, pk: int) -> Notification:
    return get_object_or_404(notifications_for_user(user), pk=pk)
