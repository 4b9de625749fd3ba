"""`python -m keras_migrate` runs the command-line interface."""

from keras_migrate.cli import main

raise SystemExit(main())
