"""optviz in the browser: `streamlit run app.py`.

A thin shell: the page list. Each page lives in ``ui/``, and all the computing in ``optviz/``.
"""

from pathlib import Path

import streamlit as st

from optviz.scenario import presenting
from ui import gallery, lab, maps, race

# The icon is a file of the app's own: an emoji or a Material icon would be fetched from another host.
st.set_page_config(page_title="optviz", page_icon=str(Path(__file__).parent / "ui" / "icon.png"), layout="wide",
                   initial_sidebar_state="collapsed" if presenting(st.query_params.get("present")) else "auto")
lab_page = st.Page(lab.page, title="Surface lab", icon=":material/landscape:", url_path="lab", default=True)


def article_figures():
    gallery.page(lab_page)


pages = [
    lab_page,
    st.Page(article_figures, title="The article's figures", icon=":material/photo_library:", url_path="gallery"),
    st.Page(race.page, title="Training race", icon=":material/sprint:", url_path="race"),
    st.Page(maps.page, title="Maps", icon=":material/grid_on:", url_path="maps"),
]
st.navigation(pages, position="hidden" if presenting(st.query_params.get("present")) else "sidebar").run()
