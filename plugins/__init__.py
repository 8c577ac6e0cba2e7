"""cococonv's built-in plugins, installed as the package `cococonv_plugins`."""
