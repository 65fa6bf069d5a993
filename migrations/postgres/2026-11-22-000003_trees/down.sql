DROP TABLE tree_walks;
DROP TABLE trees;
