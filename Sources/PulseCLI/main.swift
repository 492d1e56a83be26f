import Foundation
import PulseRuntime

exit(OperatorCommands.run(arguments: Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment))
