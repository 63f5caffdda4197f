-- array_to_string is only STABLE, and generated columns need IMMUTABLE functions: for text[] the
-- result cannot change, so this wrapper is declared immutable for the courses.search column.
CREATE FUNCTION kce_tags_text(tags text[]) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN array_to_string(tags, ' ');
