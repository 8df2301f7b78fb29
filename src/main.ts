// Composition root: the only reader of argv/env/config files and the only place that exits.
process.stdout.write('inspectord: skeleton\n');
