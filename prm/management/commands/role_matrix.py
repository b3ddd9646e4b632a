from django.core.management.base import BaseCommand

from prm.roles import matrix_markdown


class Command(BaseCommand):
    help = "Print the role matrix as a Markdown table (docs/roles.md is generated from it)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(matrix_markdown())
