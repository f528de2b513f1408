"""Hashpivot app entry point (replaced by the executive app)."""

import streamlit as st

st.set_page_config(page_title="Hashpivot", layout="wide")
st.title("Hashpivot")
st.write(
    "Keep mining, convert to AI hosting, or split the site: the portfolio map, site decisions, "
    "scenarios and the board pack are coming."
)
