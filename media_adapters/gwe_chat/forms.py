"""The form a visitor fills in to leave a message when nobody can answer."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from media_adapters.gwe_chat.services import MAX_TEXT

PHONE = re.compile(r"^\+?[0-9 ().\-/]{6,32}$")


class LeaveMessageForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=100)
    email = forms.EmailField(label=_("Email"), required=False, max_length=254)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=32)
    call_back = forms.BooleanField(label=_("Please call me back"), required=False)
    text = forms.CharField(label=_("Your message"), max_length=MAX_TEXT, widget=forms.Textarea)

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if phone and not PHONE.fullmatch(phone):
            raise forms.ValidationError(_("Enter a phone number: digits, spaces and + ( ) - only."))
        return phone

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if "email" in self.errors or "phone" in self.errors:
            return cleaned  # what is wrong with them is said already
        if not cleaned.get("email") and not cleaned.get("phone"):
            raise forms.ValidationError(_("Give an email address or a phone number to answer you."))
        if cleaned.get("call_back") and not cleaned.get("phone"):
            self.add_error("phone", _("Give the number to call you back on."))
        return cleaned
