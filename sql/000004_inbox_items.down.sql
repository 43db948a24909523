DROP TABLE inbox_items;
DROP TYPE inbox_item_status;
