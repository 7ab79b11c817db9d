"""`N_`: marks an English message for the translation catalog (messages.po) where it is written;
the page that shows it translates it then. No Flask here: the pure modules use it too."""


def N_(message: str) -> str:
    return message
