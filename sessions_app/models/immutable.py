"""Models whose rows, once written, are evidence: they can be added, never changed."""

from django.db import models

from sessions_app.exceptions import RecordImmutable


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise RecordImmutable("record_immutable")

    def delete(self):
        raise RecordImmutable("record_immutable")

    def bulk_update(self, objs, fields, batch_size=None):
        raise RecordImmutable("record_immutable")

    def bulk_create(self, objs, *args, update_conflicts=False, **kwargs):
        if update_conflicts:
            raise RecordImmutable("record_immutable")
        return super().bulk_create(objs, *args, **kwargs)

    def update_or_create(self, *args, **kwargs):
        raise RecordImmutable("record_immutable")


class AppendOnlyModel(models.Model):
    """Refuses updates and deletes through the ORM (instance and queryset). Subclasses set
    ``base_manager_name = "objects"`` so that Django's internal manager refuses too; the
    database refuses UPDATE with a trigger (migration 0003)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RecordImmutable("record_immutable")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RecordImmutable("record_immutable")
