/* The main() of the layer-check-<folder> programs of meson.build: each links every object of
 * one src/ folder's library and only the libraries of lower rank, so the link fails when the
 * folder calls a function of its own rank or above (docs/design.md "Layers"). Never run. */
int
main(void)
{
	return 0;
}
