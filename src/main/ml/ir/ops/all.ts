// Registers every IR op (import for side effects).
import './elementwise';
import './shape';
import './reduce';
import './linalg';
import './conv';
import './norm';
import './attention';
import './scan';
