"""Tabletime in a browser (`tabletime serve`): textual-serve's server, wrapped so that it is
safe by default and works offline. Optional: `pip install '.[serve]'`."""
