"""ipywidgets faces for notebooks (the server extension never imports these)."""
