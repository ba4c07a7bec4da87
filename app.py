"""convexviz Streamlit app (being built: see issue 3)."""

import streamlit as st

st.title("convexviz")
