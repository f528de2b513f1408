"""Helpers for the Streamlit app only: executive number formatting (pure, unit-tested) and cached
loaders that call the library. Nothing in the library packages imports this."""
