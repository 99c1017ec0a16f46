"""The classroom's baseline: the least a Streamlit page with one chart does on each slider move.

It has the lab's two sliders (the shared α and *Steps*) and one small line chart, so that
``python -m benchmarks.classroom`` can drive it as it drives the lab, and the difference is
what the lab costs beyond Streamlit itself.
"""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from optviz.plots import number
from optviz.scenario import LR_GRID, MAX_STEPS

lr = st.select_slider("α (all optimizers)", LR_GRID, value=0.001, format_func=number)
steps = st.slider("Steps", 1, MAX_STEPS, 300)
x = np.linspace(0, 1, 200)
st.plotly_chart(go.Figure(go.Scatter(x=x, y=np.exp(-lr * steps * x))), theme=None)
