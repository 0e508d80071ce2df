from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Django's form templates, with every field wrapped in one block (templates/includes)."""

    field_template_name = "includes/field.html"
