from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from . import services, workflow
from .models import Item, ItemReviewEvent, ItemVersion, MediaFile, Stimulus, Subject, Topic


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "subject", "parent")
    list_filter = ("subject",)
    search_fields = ("name",)


class ItemVersionInline(admin.TabularInline):
    model = ItemVersion
    fields = ("number", "status", "points", "irt_a", "irt_b")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ("id", "item_type", "subject", "topic", "level", "visibility", "owner", "author", "created_at")
    list_filter = ("subject", "level", "item_type", "visibility")
    fields = (
        "owner",
        "subject",
        "topic",
        "level",
        "item_type",
        "visibility",
        "title",
        "grade",
        "learning_outcome",
        "expected_seconds",
        "source",
        "language",
    )
    inlines = [ItemVersionInline]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.author = request.user
        super().save_model(request, obj, form, change)


class ItemReviewEventInline(admin.TabularInline):
    """The review history of a version: read-only, written only by the workflow services."""

    model = ItemReviewEvent
    fields = ("at", "from_status", "to_status", "by", "comment")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ItemVersion)
class ItemVersionAdmin(admin.ModelAdmin):
    list_display = ("item", "number", "status", "points", "irt_a", "irt_b")
    list_filter = ("status", "item__subject")
    fields = (
        "item",
        "number",
        "status",
        "content",
        "stimulus",
        "points",
        "irt_a",
        "irt_b",
        "irt_c",
        "irt_calibration",
        "irt_calibrated_at",
    )
    readonly_fields = ("status",)
    inlines = [ItemReviewEventInline]
    actions = ["submit", "approve", "publish", "retire"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status not in workflow.EDITABLE:
            return self.fields
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status != ItemVersion.Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def _move(self, request, queryset, to: str) -> None:
        for version in queryset:
            try:
                services.item_version_move(by=request.user, version_id=version.pk, to=to)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{version}: {exc}", level=messages.ERROR)

    @admin.action(description=_("Submit the selected versions for review"))
    def submit(self, request, queryset):
        self._move(request, queryset, workflow.SUBMITTED)

    @admin.action(description=_("Approve the selected versions"))
    def approve(self, request, queryset):
        self._move(request, queryset, workflow.APPROVED)

    @admin.action(description=_("Publish the selected versions"))
    def publish(self, request, queryset):
        self._move(request, queryset, workflow.PUBLISHED)

    @admin.action(description=_("Retire the selected versions"))
    def retire(self, request, queryset):
        self._move(request, queryset, workflow.RETIRED)


@admin.register(Stimulus)
class StimulusAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "subject", "owner", "visibility")
    list_filter = ("kind", "subject")
    search_fields = ("title",)


@admin.register(MediaFile)
class MediaFileAdmin(admin.ModelAdmin):
    list_display = ("name", "content_type", "size", "owner", "created_at")
    readonly_fields = ("file", "name", "content_type", "size", "sha256", "owner", "created_by")

    def has_add_permission(self, request):
        return False  # uploads go through itembank.media, which checks type and size
