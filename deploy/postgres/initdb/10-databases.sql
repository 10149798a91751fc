-- One database per service that keeps its data in PostgreSQL; run once, when the volume is new.
-- The migrate steps (auth-migrate, content-migrate) then bring each schema to head.
CREATE DATABASE inkwell_auth;
CREATE DATABASE inkwell_content;
