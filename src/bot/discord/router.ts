// Every Discord interaction enters here: slash commands to their module, autocomplete to the symbol
// list, buttons to the trade-card handler — each inside an error boundary that logs and tells the
// person "something went wrong, nothing was changed" (ephemerally), so one failure never takes the
// client down.
import { MessageFlags, type Interaction } from 'discord.js';
import { answerAutocomplete } from './autocomplete.js';
import { answerButton } from './buttons.js';
import { commandByName } from './commands/index.js';
import { SOMETHING_WENT_WRONG, type DiscordDeps } from './context.js';

export async function routeInteraction(interaction: Interaction, deps: DiscordDeps): Promise<void> {
  let module = 'unknown';
  try {
    if (interaction.isChatInputCommand()) {
      module = `command:${interaction.commandName}`;
      const command = commandByName(interaction.commandName);
      if (!command) {
        await interaction.reply({ content: `I don't know /${interaction.commandName.slice(0, 32)}. Try /help.`, flags: MessageFlags.Ephemeral });
        return;
      }
      await command.execute(interaction, deps);
    } else if (interaction.isAutocomplete()) {
      module = 'autocomplete';
      await answerAutocomplete(interaction, deps);
    } else if (interaction.isButton()) {
      module = 'button';
      await answerButton(interaction, deps);
    }
  } catch (err) {
    deps.logger.error('discord interaction failed', { module, interactionId: interaction.id, error: err });
    if (!interaction.isRepliable()) return;
    try {
      if (interaction.deferred || interaction.replied) await interaction.followUp({ content: SOMETHING_WENT_WRONG, flags: MessageFlags.Ephemeral });
      else await interaction.reply({ content: SOMETHING_WENT_WRONG, flags: MessageFlags.Ephemeral });
    } catch (e) {
      deps.logger.warn('discord apology failed', { module, error: e });
    }
  }
}
