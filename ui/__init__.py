"""The Streamlit pages of optviz: widgets and layout only; every number comes from ``optviz``."""
