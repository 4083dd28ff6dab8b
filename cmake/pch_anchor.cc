// The one source of the precompiled-header targets (cmake/Precompiled.cmake):
// CMake builds a target's precompiled header only when the target has a
// source to compile with it.
