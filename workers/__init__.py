"""Background loops of each app process (e-mail delivery, month close, pruning): an interface, like api/."""
