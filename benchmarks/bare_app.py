"""Baseline for bench_first_load.py: a bare Streamlit page, a title and a line of text."""

import streamlit as st

st.title("Bare page")
st.write("A bare page: Streamlit itself, nothing else.")
