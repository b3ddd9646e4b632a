from django.core.management.base import BaseCommand

from prm.seed import demo_logins


class Command(BaseCommand):
    help = "Print the portal URLs and the demo logins."

    def handle(self, *args, **options) -> None:
        self.stdout.write(demo_logins())
