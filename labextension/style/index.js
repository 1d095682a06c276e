import './base.css';
import './panels.css';
import './page.css';
import './monitoring.css';
