"""`python -m cococonv`."""
from .cli import main

main()
