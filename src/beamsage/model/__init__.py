"""Facts about a Mix project: its layout, each file's modules and kinds,
local data flow. Built from `source`; read by `rules` and the faces."""
