DROP VIEW confirmed_matches;
