"""The subcommands of ``neuralpath``: one module each, every one with ``HELP``,
``add_arguments(parser)`` and ``run(args, out, err) -> int``.

They sit on top of the library: they read arguments, build a ``TrainConfig`` or load a model,
call the library and print. Nothing below this package prints or imports it. ``COMMANDS``
maps each subcommand to its module, in the order ``neuralpath --help`` lists them; a module is
imported only when its subcommand's parser is built, and imports heavy libraries (FastAPI,
torch) inside ``run``.
"""
COMMANDS = {
    "train": "train",
    "evaluate": "evaluate",
    "predict": "predict",
    "presets": "presets",
    "tutorial": "tutorial",
    "bench": "bench",
    "serve": "serve",
    "data": "data",
    "export": "export",
    "sweep": "sweep",  # issue 25
}
