"""Administration pages of assess: blueprints, read-only (they are written through the API,
whose services check topics, levels and limits together)."""

from django.contrib import admin

from .models import Blueprint, BlueprintPart


class BlueprintPartInline(admin.TabularInline):
    model = BlueprintPart
    fields = ("position", "label", "item_type", "points_per_item")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Blueprint)
class BlueprintAdmin(admin.ModelAdmin):
    list_display = ("title", "subject", "grade", "owner", "assessment", "updated_at")
    list_filter = ("subject", "grade")
    search_fields = ("title",)
    fields = ("title", "subject", "grade", "owner", "assessment", "created_by", "created_at", "updated_at")
    readonly_fields = fields
    inlines = [BlueprintPartInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("subject", "owner")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
