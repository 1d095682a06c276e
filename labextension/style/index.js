import './base.css';
import './panels.css';
