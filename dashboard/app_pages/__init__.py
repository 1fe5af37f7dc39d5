"""The dashboard's pages, one script per page, wired by dashboard/app.py with st.navigation.

Not named `pages/`: that folder name would switch on Streamlit's old automatic page discovery.
"""
