"""The ``workbench`` command line: thin commands that parse, call one service
function, print, and map errors to exit codes."""
