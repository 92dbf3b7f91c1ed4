import Foundation

exit(await PalisadeCommand.main(Array(CommandLine.arguments.dropFirst())))
