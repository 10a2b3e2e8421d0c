export { createBoard, type Board, type BoardDeps } from './create-board.js';
