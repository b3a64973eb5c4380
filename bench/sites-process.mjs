// The EC2 sites of a bench, served by the bundled emulator in a process of their own, so that the
// bench's process (the broker's) does only the broker's work. Sent { module, sites }: the
// emulator's module and its site specs; answers with the emulator's base URL.
process.once('message', async ({ module, sites }) => {
  const { Ec2Emulator } = await import(module);
  const emulator = new Ec2Emulator(); // no state file: nothing written per call
  for (const site of sites) emulator.upsertSite(site);
  process.send(await emulator.listen(0));
  process.once('disconnect', () => process.exit(0));
});
