"""Reading filled paper forms from a phone photo or a scanned PDF (see ``page``)."""
