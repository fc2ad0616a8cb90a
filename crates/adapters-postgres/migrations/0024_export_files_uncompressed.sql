-- Issue 18: exports are written section by section and downloaded chunk by chunk. Stored
-- uncompressed (EXTERNAL), a chunk's substring reads only the pages it covers instead of
-- decompressing the whole archive for every chunk; an archive lives seven days, so the space
-- compression would save is short-lived.
ALTER TABLE tenantry.export_files ALTER COLUMN content SET STORAGE EXTERNAL;
