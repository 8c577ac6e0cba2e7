"""voc plugins (work in progress: registers nothing yet)."""

PLUGINS: tuple = ()
