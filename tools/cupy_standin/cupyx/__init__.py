"The stand-in`s cupyx (see ../README.md)."
