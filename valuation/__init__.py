"""Hashpivot valuation core: finance engine, Bitcoin market and mining economics, AI hosting,
strategies and the site decision. Importable alone; nothing here imports streamlit or touches the
network at import time."""

__version__ = "0.1.0"
